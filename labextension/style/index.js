import './base.css';
import './layout.css';
import './teaching.css';
import './invite.css';
