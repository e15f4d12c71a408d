/* The report map's script (inlined into the page by siting/report/page.py).
   Pan (drag), zoom (wheel, + − reset), colour the block dots by one service
   or all (#view; each block's data-c has one 0/1 per type of #blocks' data-types),
   and show new facilities open by a year (#year) of the types ticked in the legend. */
(function(){
  var svg=document.getElementById('map'); if(!svg) return;
  // pan and zoom: move the viewBox (vb) over the drawing of size W × H
  var W=+svg.dataset.w, H=+svg.dataset.h, vb=[0,0,W,H];
  function set(){svg.setAttribute('viewBox',vb.join(' '));}
  function pt(e){var r=svg.getBoundingClientRect();
    return [vb[0]+(e.clientX-r.left)/r.width*vb[2], vb[1]+(e.clientY-r.top)/r.height*vb[3]];}
  function zoom(f,c){var nw=Math.min(Math.max(vb[2]*f,W/40),W*2), k=nw/vb[2];
    vb=[c[0]-(c[0]-vb[0])*k, c[1]-(c[1]-vb[1])*k, nw, vb[3]*k]; set();}
  svg.addEventListener('wheel',function(e){e.preventDefault();
    zoom(e.deltaY<0?0.8:1.25,pt(e));},{passive:false});
  var drag=null;
  svg.addEventListener('pointerdown',function(e){drag=[e.clientX,e.clientY];
    svg.setPointerCapture(e.pointerId);});
  svg.addEventListener('pointermove',function(e){if(!drag) return;
    var r=svg.getBoundingClientRect();
    vb[0]-=(e.clientX-drag[0])/r.width*vb[2]; vb[1]-=(e.clientY-drag[1])/r.height*vb[3];
    drag=[e.clientX,e.clientY]; set();});
  svg.addEventListener('pointerup',function(){drag=null;});
  function btn(id,f){var b=document.getElementById(id); if(b) b.addEventListener('click',f);}
  btn('zin',function(){zoom(0.7,[vb[0]+vb[2]/2,vb[1]+vb[3]/2]);});
  btn('zout',function(){zoom(1/0.7,[vb[0]+vb[2]/2,vb[1]+vb[3]/2]);});
  btn('zreset',function(){vb=[0,0,W,H]; set();});
  // colour by service: the same red → amber → green stops as share_colour in formats.py
  var g=document.getElementById('blocks');
  var types=g?JSON.parse(g.dataset.types):[];
  var dots=g?g.querySelectorAll('.block'):[];
  function colour(s){var a=[[0,[224,49,49]],[0.5,[245,159,0]],[1,[47,158,68]]];
    for(var i=1;i<a.length;i++){if(s<=a[i][0]){var u=(s-a[i-1][0])/(a[i][0]-a[i-1][0]);
      var c=a[i-1][1].map(function(x,j){return Math.round(x+(a[i][1][j]-x)*u);});
      return 'rgb('+c.join(',')+')';}} return 'rgb(47,158,68)';}
  var view=document.getElementById('view');
  if(view){view.addEventListener('change',function(){
    var k=types.indexOf(view.value);
    for(var i=0;i<dots.length;i++){var c=dots[i].dataset.c, s;
      if(k<0){var n=0; for(var j=0;j<c.length;j++) n+=(c[j]==='1'); s=c.length?n/c.length:0;}
      else s=(c[k]==='1')?1:0;
      dots[i].setAttribute('fill',colour(s));}
  });}
  // new facilities by opening year and type
  var year=document.getElementById('year');
  var boxes=document.querySelectorAll('#legend input');
  function filter(){var y=year?+year.value:1e9, on={};
    boxes.forEach(function(b){on[b.dataset.type]=b.checked;});
    document.querySelectorAll('#chosen .chosen').forEach(function(e){
      e.style.display=(+e.dataset.year<=y && on[e.dataset.type]!==false)?'':'none';});
    document.querySelectorAll('#existing .existing').forEach(function(e){
      e.style.display=(on[e.dataset.type]!==false)?'':'none';});
    var out=document.getElementById('yearout'); if(out&&year) out.textContent=year.value;}
  if(year) year.addEventListener('input',filter);
  boxes.forEach(function(b){b.addEventListener('change',filter);});
})();
